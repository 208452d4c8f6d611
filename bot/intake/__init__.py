"""The lender's own data reaching the product (issue 21 §2): risk signals (R22), the loans'
arrears figures and the payments in the lender's books, through an authenticated HTTP endpoint
(`python -m bot.intake serve`) or a file import (`python -m bot.intake import FILE`)."""

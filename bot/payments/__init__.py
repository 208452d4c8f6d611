"""Payments (issue 4, R3): links through a provider (Mollie or the local test provider), QR codes,
and the status that comes back through a webhook and reduces the arrears exactly once."""

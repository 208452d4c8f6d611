"""The customer-facing web app (issue 4): payment pages of the local provider, QR images and the
payment webhooks. `create_app()` builds it; `python -m bot.web` serves it."""

"""Reading back what our processes send to Rasa's HTTP API (bot/rasa_api.py)."""
from __future__ import annotations

import jwt


def signed_by(authorization: str, secret: str) -> dict:
    """The claims of an `Authorization: Bearer <jwt>` header, checked against the shared secret
    (signature and expiry), as Rasa's JWT check does; raises when either is wrong."""
    scheme, _, token = authorization.partition(" ")
    assert scheme == "Bearer", authorization
    return jwt.decode(token, secret, algorithms=["HS256"])

"""The staff console (issue 5): login, the handover queue, the conversation view, replies."""

"""Custom NLU components loaded by the Rasa server (listed in config.yml)."""

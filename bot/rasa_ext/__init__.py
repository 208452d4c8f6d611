"""Extensions loaded into the Rasa server itself (tracker store); like bot/channels, they import Rasa."""

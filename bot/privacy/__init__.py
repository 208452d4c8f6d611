"""Personal data: kept out of logs, kept no longer than needed, erased or exported on request (AVG)."""

"""Staying in touch (issue 10, R22, R23): arrangements and their instalments, the follow-up
policy, the engine that sends each follow-up exactly once, and the simulator."""

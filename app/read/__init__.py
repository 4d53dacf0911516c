"""The read side: history, summary, learner state and live feeds, as transports show them.

May import the domain, infrastructure and models; never services or transports.
"""

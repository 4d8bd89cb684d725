"""Campaigns (claimr `pid`): definitions, the task engine, participants, the XP ledger and referrals."""

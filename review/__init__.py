"""Review gates, decisions, comments, invitations, access and notifications."""

"""Moderation hook: a policy (``configs/policy.yaml``) turns sentence scores into one
allow / review / block decision per text, with the evidence sentences."""
from khitab.moderation.moderator import Decision, Moderator, language_warning
from khitab.moderation.policy import LabelPolicy, Policy, PolicyError, Rollup, default_policy_path, load_policy

__all__ = [
    "Decision", "LabelPolicy", "Moderator", "Policy", "PolicyError", "Rollup", "default_policy_path",
    "language_warning", "load_policy",
]

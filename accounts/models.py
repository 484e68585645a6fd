from __future__ import annotations

from django.db import models


class WelcomedAddress(models.Model):
    """An email address that has had its new-user welcome, kept as a hash only.

    The record outlives the account: deleting an account and signing up again with the
    same address does not welcome it (nor gift its credits) a second time.
    """

    address_hash = models.CharField(max_length=64, primary_key=True)
    welcomed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.address_hash[:12]

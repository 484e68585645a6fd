"""What the accounts app announces; other apps listen (credits grants the new-user gift)."""

from django.dispatch import Signal

# Sent with ``user=`` inside the transaction that creates the account: a receiver's
# writes commit or roll back with it.
user_signed_up = Signal()

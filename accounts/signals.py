"""What the accounts app announces; other apps listen (credits grants the new-user gift).

Both are sent inside the transaction that made the change, so a receiver's writes commit
or roll back with it. ``welcome`` is True exactly once per email address, ever: on the
sign-up when the address needs no verification first (``ACCOUNT_EMAIL_VERIFICATION`` is
not ``mandatory``, or a social provider vouched for it), otherwise on its first
verification. An address whose account was deleted is not welcomed again.
"""

from django.dispatch import Signal

# ``user=``, ``welcome=``: an account was created (API sign-up or social sign-in).
user_signed_up = Signal()
# ``user=``, ``email=``, ``welcome=``: the user proved they receive mail at ``email``.
email_verified = Signal()

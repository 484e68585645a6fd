"""A storage whose saves can be made to fail, for copies that lose their disk mid-way."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class BreakableStorage(FileSystemStorage):
    # Class-wide: the copy that fails runs in another thread with its own storage handle.
    broken = False

    def _save(self, name, content):
        if BreakableStorage.broken:
            raise OSError("No space left on device (injected by the test)")
        return super()._save(name, content)

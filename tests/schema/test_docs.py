"""The repository's own documentation: docs/api.md covers the API the schema describes,
and no document points outside the repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.live import ROOT

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
DOCUMENTS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (Path(ROOT) / "docs").glob("*.md"))]
# [text](target) links, without external URLs and in-page anchors.
LOCAL_LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)\s#]+)")


def test_api_reference_names_every_operation_of_the_schema(client):
    schema = json.loads(client.get("/api/v1/schema", {"format": "json"}).content)
    reference = (Path(ROOT) / "docs" / "api.md").read_text()

    missing = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in set(item) & HTTP_METHODS
        if f"### {method.upper()} {path}" not in reference and f"`{method.upper()} {path}" not in reference
    ]

    assert missing == []


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documents_refer_to_nothing_outside_the_repository(document):
    text = (Path(ROOT) / document).read_text()

    assert "../" not in text
    assert "SPEC.md" not in text and "PROVIDERS.md" not in text


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documents_link_to_files_that_exist(document):
    path = Path(ROOT) / document
    for target in LOCAL_LINK.findall(path.read_text()):
        assert (path.parent / target).exists(), f"{document} links to missing {target}"

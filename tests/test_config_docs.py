"""docs/configuration.md and the README's settings tables match the models they document."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "gen_config_docs.py"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_config_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_up_to_date(generator: ModuleType) -> None:
    stale = [str(path.relative_to(generator.ROOT)) for path in generator.stale()]
    assert stale == [], "generated docs are stale: run `make docs` and commit the result"


def test_every_property_and_setting_is_documented(generator: ModuleType) -> None:
    from authgate.appconfig import AppConfiguration
    from authgate.settings import Settings

    text = generator.configuration_md()
    for name in AppConfiguration.model_fields:
        assert f"| `{name}` |" in text
    for name, field in Settings.model_fields.items():
        assert f"| `{field.alias or 'AUTHGATE_' + name.upper()}` |" in text


def test_check_reports_an_edited_file(
    generator: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc, readme = tmp_path / "configuration.md", tmp_path / "README.md"
    shutil.copy(generator.CONFIG_DOC, doc)
    shutil.copy(generator.README, readme)
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    monkeypatch.setattr(generator, "CONFIG_DOC", doc)
    monkeypatch.setattr(generator, "README", readme)
    assert generator.main(["--check"]) == 0

    doc.write_text(doc.read_text().replace("`300`", "`600`"))
    assert generator.stale() == [doc]
    assert generator.main(["--check"]) == 1

    assert generator.main([]) == 0  # regenerating repairs it
    assert generator.stale() == []

"""Per-user settings of the app: what one person prefers, not what the practice shares.

They live in the user's config folder, never in the shared database (each OS account has its
own): ``$PCTUI_CONFIG_DIR`` if set, else ``~/.config/pctui`` on Linux (platformdirs'
``user_config_dir``).

- ``settings.json`` — remembered by the app itself: ``{"sidebar": true}`` (shown or hidden,
  Ctrl+B). Written atomically, mode 0600. A file that cannot be read is ignored (defaults) and
  the app says so once; one that cannot be written is reported, never a crash.
- ``keymap.toml`` — written by the user: a binding id and the keys it should answer to::

      # pctui keymap: binding id = "keys" (comma-separated)
      "release.mark" = "space,x"
      "app.sidebar" = "ctrl+n"

  The ids are listed in F1 help. Unknown ids and values that are not text are reported on
  start, and the rest applies.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from platformdirs import user_config_dir

SETTINGS_FILE = "settings.json"
KEYMAP_FILE = "keymap.toml"


def config_dir() -> Path:
    override = os.environ.get("PCTUI_CONFIG_DIR")
    return Path(override) if override else Path(user_config_dir("pctui", appauthor=False))


@dataclass
class UserSettings:
    sidebar: bool = True
    problems: list[str] = field(default_factory=list)  # what could not be read, said once

    @classmethod
    def load(cls, folder: Path | None = None) -> UserSettings:
        path = (folder or config_dir()) / SETTINGS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            return cls(problems=[f"{path} could not be read ({exc}); defaults are used"])
        if not isinstance(data, dict):
            return cls(problems=[f"{path} is not a settings object; defaults are used"])
        sidebar = data.get("sidebar", True)
        return cls(sidebar=sidebar if isinstance(sidebar, bool) else True)

    def save(self, folder: Path | None = None) -> None:
        """Write the settings (mode 0600, atomically). OSError when it cannot."""
        folder = folder or config_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {k: v for k, v in asdict(self).items() if k != "problems"}
        fd, temp = tempfile.mkstemp(prefix=".settings.", suffix=".part", dir=folder)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2)
                out.write("\n")
            os.replace(temp, folder / SETTINGS_FILE)
        except OSError:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise


def load_keymap(known_ids: set[str], folder: Path | None = None) -> tuple[dict[str, str],
                                                                          list[str]]:
    """The user's keymap (binding id → keys) and what was wrong with it, in words."""
    path = (folder or config_dir()) / KEYMAP_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{path} could not be read: {exc}"]
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in data.items():
        if binding_id not in known_ids:
            problems.append(f"{path}: no key has the id {binding_id!r} (F1 lists them)")
        elif not isinstance(keys, str) or not keys.strip():
            problems.append(f"{path}: {binding_id} must be keys in quotes, e.g. \"ctrl+x\"")
        else:
            keymap[binding_id] = ",".join(k.strip() for k in keys.split(",") if k.strip())
    return keymap, problems

"""The plugin manager: entry-point discovery, allow/deny lists, error capture, the registry.

Plugins are modules named by entry points in the ``latentroom`` group. They are
imported when first needed (never by ``import latentroom.engine`` or ``latentroom --help``)
and only once per process: :func:`registry` loads them all; looking one item up by
name (:func:`get_aligner`, :func:`resolve_generator`, ...) loads them in order, built-ins
first, only until one has registered that name. So applying a preset with a built-in
aligner imports no third-party plugin code, and pays for no plugin it does not use.
Each register-callback hook is called per plugin with a ``register`` function bound to
that plugin, so every contribution records who made it.

A broken plugin never breaks the engine: import errors, exceptions raised by a hook
and bad registrations become :class:`PluginError` entries in ``registry().errors``,
each printed once on stderr, and everything else keeps working.

Environment:

* ``LATENTROOM_LOAD_PLUGINS=a,b`` loads only the third-party plugins ``a`` and ``b``
  (built-ins always load); set but empty loads the built-ins only.
* ``LATENTROOM_DISABLE_PLUGINS=a,b`` never imports ``a`` or ``b`` (built-ins included).
  It wins over the allow list: a plugin named in both is not loaded.

Tests can add plugin objects without packaging them: :func:`register_plugin`, and
:func:`reset` to start again from the entry points.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Iterable

import pluggy

from latentroom.engine import hookspecs
from latentroom.engine.errors import LatentroomError, PluginLoadError

from latentroom.engine.protocols import Generator, TextImageModel  # typing-only torch imports: stays torch-free

if TYPE_CHECKING:
    import click

PROJECT = "latentroom"  # pluggy project name, entry-point group and built-in distribution
DEFAULT_GENERATOR = "toyfaces"
KINDS: tuple[str, ...] = ("generators", "inverters", "direction_sources", "presets", "aligners", "scorers",
                          "feature_networks", "text_image_models")
_SINGULAR = {
    "generators": "generator",
    "inverters": "inverter",
    "direction_sources": "direction source",
    "presets": "preset",
    "aligners": "aligner",
    "scorers": "scorer",
    "feature_networks": "feature network",
    "text_image_models": "text-image model",
}


@dataclass(frozen=True)
class Contribution:
    """One registered item: ``value`` is the factory (or, for presets, the bundle path)."""

    name: str
    value: Any
    description: str
    plugin: str


@dataclass(frozen=True)
class PluginError:
    """Why a plugin (or one of its items) was not loaded. ``stage`` is ``"import"``,
    ``"register"`` (pluggy rejected the module) or the name of the failing hook."""

    plugin: str
    stage: str
    message: str

    def __str__(self) -> str:
        return f"plugin '{self.plugin}' failed: {self.stage}: {self.message}"


@dataclass
class PluginInfo:
    """A discovered plugin. ``contributions`` maps a kind (``generators``, ...,
    ``commands``) to the names it added; a plugin that failed to import has no hooks."""

    name: str
    version: str | None
    module: str
    builtin: bool
    hooks: list[str] = field(default_factory=list)
    contributions: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Registry:
    """Everything the loaded plugins contributed, by kind and name, plus the plugins
    themselves, their errors, and the pluggy ``manager`` they are registered with."""

    generators: dict[str, Contribution] = field(default_factory=dict)
    inverters: dict[str, Contribution] = field(default_factory=dict)
    direction_sources: dict[str, Contribution] = field(default_factory=dict)
    presets: dict[str, Contribution] = field(default_factory=dict)
    aligners: dict[str, Contribution] = field(default_factory=dict)
    scorers: dict[str, Contribution] = field(default_factory=dict)
    feature_networks: dict[str, Contribution] = field(default_factory=dict)
    text_image_models: dict[str, Contribution] = field(default_factory=dict)
    errors: list[PluginError] = field(default_factory=list)
    plugins: list[PluginInfo] = field(default_factory=list)  # in load order
    manager: pluggy.PluginManager = field(default_factory=lambda: _new_manager(), repr=False)
    # (id of click group, plugin name) pairs whose register_commands already ran.
    _commands_done: set[tuple[int, str]] = field(default_factory=set, repr=False)
    # Selected entry points not loaded yet, in load order.
    _pending: list[EntryPoint] = field(default_factory=list, repr=False)
    # True while a plugin is being loaded: a plugin that asks for the registry during
    # its own import or hooks sees the partial registry instead of loading the rest.
    _loading: bool = field(default=False, repr=False)

    def plugin(self, name: str) -> PluginInfo | None:
        return next((info for info in self.plugins if info.name == name), None)

    def errors_for(self, plugin: str) -> list[PluginError]:
        return [error for error in self.errors if error.plugin == plugin]

    def load_next(self) -> bool:
        """Load the next selected entry point; ``False`` when none is left (or while a
        plugin is loading)."""
        if not self._pending or self._loading:
            return False
        self._loading = True
        try:
            _load_entry_point(self, self._pending.pop(0))
        finally:
            self._loading = False
        return True

    def _fail(self, plugin: str, stage: str, message: str) -> None:
        error = PluginError(plugin, stage, message)
        self.errors.append(error)
        # Recorded once per process (the registry is cached), so printed once.
        print(f"latentroom: {error}", file=sys.stderr)


_registry: Registry | None = None


def _new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def registry() -> Registry:
    """The process-wide registry, with every selected plugin loaded (on first use)."""
    reg = _discovered()
    while reg.load_next():
        pass
    return reg


def _discovered() -> Registry:
    """The process-wide registry, its entry points found but perhaps not all loaded."""
    global _registry
    if _registry is None:
        _registry = Registry(_pending=_selected_entry_points())
    return _registry


def reset() -> None:
    """Forget every loaded plugin; the next :func:`registry` call discovers them again.
    Modules already imported stay in ``sys.modules``. Meant for tests."""
    global _registry
    _registry = None


def register_plugin(plugin: object, name: str) -> PluginInfo:
    """Add a plugin object (a module or any object with ``@hookimpl`` methods) to the
    registry without an entry point, running its register hooks now. Meant for tests;
    :func:`reset` removes it again. Its commands are added by the next
    :func:`load_plugin_commands` call."""
    reg = registry()
    module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__
    info = PluginInfo(name, None, module, False)
    reg.plugins.append(info)
    _add_plugin(reg, info, plugin)
    return info


def load_plugin_commands(cli: "click.Group") -> None:
    """Run ``register_commands(cli)`` once for every loaded plugin. A command whose
    name is taken (by the core or an earlier plugin) is dropped and reported."""
    import click

    from latentroom.engine.cli import CORE_COMMANDS

    reg = registry()
    for info in reg.plugins:
        if (id(cli), info.name) in reg._commands_done:
            continue
        reg._commands_done.add((id(cli), info.name))
        before = dict(cli.commands)
        _call_hook(reg, info, "register_commands", cli=cli)
        if not isinstance(cli.commands, dict):
            reg._fail(info.name, "register_commands", "replaced the command table; restored it")
            cli.commands = before
        for name, command in list(cli.commands.items()):
            if before.get(name) is command:
                continue
            if not isinstance(name, str) or not isinstance(command, click.Command):
                message = f"added {name!r}: {type(command).__name__}, which is not a click command; dropped it"
                reg._fail(info.name, "register_commands", message)
                _restore(cli, before, name)
            elif name in CORE_COMMANDS or name in before:
                if name in CORE_COMMANDS:
                    owner = "the core"
                else:
                    owner = f"plugin '{_command_owner(reg, name)}'"
                message = f"command '{name}' is already provided by {owner}"
                reg._fail(info.name, "register_commands", message)
                _restore(cli, before, name)
            else:
                info.contributions.setdefault("commands", []).append(name)


def _restore(cli: "click.Group", before: dict[str, Any], name: Any) -> None:
    if name in before:
        cli.commands[name] = before[name]
    else:
        del cli.commands[name]


def resolve_generator(spec: str | None, device: str = "cpu") -> Generator:
    """Build the generator named by ``NAME[:ARGUMENT]`` (``None``: ``toyfaces``) by
    calling its factory as ``factory(argument, device)``; argument is ``None`` without
    a colon."""
    return _build("generators", spec or DEFAULT_GENERATOR, device, Generator,
                  "size, style_dim, n_latent, weights_sha256, device, mapping, mean_latent, synthesis")


def _build(kind: str, spec: str, device: str, protocol: type, attributes: str, **options: Any) -> Any:
    """Call the factory of ``NAME[:ARGUMENT]`` as ``factory(argument, device, **options)``
    and check that what it returns satisfies ``protocol``."""
    name, colon, argument = spec.partition(":")
    contribution = _lookup(kind, name)
    try:
        built = contribution.value(argument if colon else None, device, **options)
    except LatentroomError as exc:
        # A factory may resolve other items itself: its "unknown generator 'base'"
        # must say it happened while building the one the user asked for.
        exc.message = f"{_SINGULAR[kind]} '{spec}' (plugin '{contribution.plugin}'): {exc.message}"
        raise
    if not isinstance(built, protocol):
        raise PluginLoadError(
            f"{_SINGULAR[kind]} '{name}' from plugin '{contribution.plugin}' returned a "
            f"{type(built).__name__}, which lacks the {protocol.__name__} attributes ({attributes})"
        )
    return built


def plugins_behind(parts: dict[str, Iterable[str]]) -> list[dict[str, str]]:
    """The plugins that contributed the named items, e.g. ``{"generators": ["flat"],
    "inverters": ["hybrid"]}``, as a preset manifest's ``requires_plugins`` entries
    ``{"name", "version"}`` (the installed version; ``unpackaged`` for plugins added
    without a distribution), in load order. Names nobody registered are skipped: a
    direction file may come from a source that is not installed here."""
    reg = registry()
    used = {
        table[item].plugin
        for kind, items in parts.items()
        for table in [getattr(reg, kind)]
        for item in items
        if item in table
    }
    return [{"name": info.name, "version": info.version or "unpackaged"} for info in reg.plugins if info.name in used]


def get_generator(name: str) -> Contribution:
    """The registered generator ``name``; :class:`LatentroomError` listing the
    available names if there is none."""
    return _lookup("generators", name)


def get_inverter(name: str) -> Contribution:
    """The registered inverter ``name``; its factory is
    ``factory(generator, device, **options)``."""
    return _lookup("inverters", name)


def get_direction_source(name: str) -> Contribution:
    """The registered direction source ``name``; its factory is ``factory(**options)``."""
    return _lookup("direction_sources", name)


def get_aligner(name: str) -> Contribution:
    """The registered aligner ``name``; its factory takes no arguments."""
    return _lookup("aligners", name)


def get_scorer(name: str) -> Contribution:
    """The registered attribute scorer ``name``; its factory is ``factory(argument, device)``."""
    return _lookup("scorers", name)


def get_feature_network(name: str) -> Contribution:
    """The registered feature network ``name``; its factory is ``factory(argument, device)``."""
    return _lookup("feature_networks", name)


def get_text_image_model(name: str) -> Contribution:
    """The registered text-image model ``name``; its factory is
    ``factory(argument, device, **options)``."""
    return _lookup("text_image_models", name)


def resolve_text_image_model(spec: str, device: str = "cpu", **options: Any) -> TextImageModel:
    """Build the text-image model named by ``NAME[:ARGUMENT]`` (e.g. ``toyfaces-clip``,
    ``openclip:model.pt``) as ``factory(argument, device, **options)``."""
    return _build("text_image_models", spec, device, TextImageModel,
                  "name, embed_dim, image_size, weights_sha256, device, encode_images, encode_texts", **options)


def _lookup(kind: str, name: str) -> Contribution:
    reg = _discovered()
    table: dict[str, Contribution] = getattr(reg, kind)
    # The first plugin to register a name keeps it, so stopping at the first one that
    # has it gives what loading every plugin would.
    while name not in table and reg.load_next():
        pass
    if name in table:
        return table[name]
    available = ", ".join(sorted(table)) or "none"
    message = f"unknown {_SINGULAR[kind]} '{name}' (available: {available})"
    if reg.errors:  # the missing item may belong to a plugin that failed
        message += "; some plugins failed to load, see `latentroom plugins --all`"
    raise LatentroomError(message)


LOAD_VARIABLE = "LATENTROOM_LOAD_PLUGINS"
DISABLE_VARIABLE = "LATENTROOM_DISABLE_PLUGINS"


def _names(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _is_builtin(entry_point: EntryPoint) -> bool:
    dist = entry_point.dist
    return dist is not None and dist.name.lower().replace("_", "-") == PROJECT


def _filtered_by(entry_point: EntryPoint) -> str | None:
    """The variable that keeps this plugin from loading, or ``None``. DISABLE wins
    over LOAD: a plugin named in both is not loaded (nor imported)."""
    if entry_point.name in (_names(DISABLE_VARIABLE) or set()):
        return DISABLE_VARIABLE
    allow = _names(LOAD_VARIABLE)
    if allow is not None and entry_point.name not in allow and not _is_builtin(entry_point):
        return LOAD_VARIABLE
    return None


def _selected_entry_points() -> list[EntryPoint]:
    selected = [ep for ep in entry_points(group=PROJECT) if _filtered_by(ep) is None]
    # Built-ins first, then by name: the first of two same-named items wins, so a
    # third-party plugin cannot replace a built-in generator, and order is stable.
    return sorted(selected, key=lambda ep: (not _is_builtin(ep), ep.name))


def filtered_command_hint(command: str) -> str | None:
    """Why ``command`` may be missing: installed plugins that the environment filtered
    out, naming the one whose source mentions the command. Found without importing
    the plugins (a disabled plugin's code never runs); ``None`` when none is filtered."""
    filtered = [(ep, variable) for ep in entry_points(group=PROJECT) if (variable := _filtered_by(ep))]
    if not filtered:
        return None
    providers = [(ep, variable) for ep, variable in filtered if _mentions_command(ep, command)]
    if providers:
        return " ".join(f"It comes from plugin '{ep.name}', which {variable} filters out"
                        f"{' (it is not listed there)' if variable == LOAD_VARIABLE else ''}."
                        for ep, variable in providers)
    names = ", ".join(f"{ep.name} ({variable})" for ep, variable in filtered)
    return f"Plugins filtered out by the environment, whose commands are not loaded: {names}."


_MAX_SOURCE_FILES = 200
_MAX_SOURCE_BYTES = 1_000_000


def _plugin_source_files(entry_point: EntryPoint) -> list[Path]:
    """The .py files of the package holding the plugin module (or the module file),
    located with ``find_spec`` on the top-level name, which runs no plugin code."""
    top, *rest = entry_point.module.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0]).joinpath(*rest[:-1])
        return sorted(folder.rglob("*.py"))[:_MAX_SOURCE_FILES]
    return [Path(spec.origin)] if spec.origin and spec.origin.endswith(".py") else []


def _mentions_command(entry_point: EntryPoint, command: str) -> bool:
    """Whether the plugin's source names ``command``: quoted (``@cli.command("x-y")``)
    or as the function click names it after (``def x_y(``)."""
    pattern = re.compile(rf"""(["']){re.escape(command)}\1|\bdef {re.escape(command.replace("-", "_"))}\(""")
    for path in _plugin_source_files(entry_point):
        try:
            if path.stat().st_size <= _MAX_SOURCE_BYTES and pattern.search(path.read_text(errors="replace")):
                return True
        except OSError:
            continue
    return False


def _load_entry_point(reg: Registry, entry_point: EntryPoint) -> None:
    dist = entry_point.dist
    if reg.plugin(entry_point.name) is not None:
        where = dist.name if dist else entry_point.value
        message = f"a second plugin with this name (from {where}) was not loaded"
        reg._fail(entry_point.name, "import", message)
        return
    version = dist.version if dist else None
    info = PluginInfo(entry_point.name, version, entry_point.value, _is_builtin(entry_point))
    reg.plugins.append(info)
    try:
        plugin = entry_point.load()
    except (Exception, SystemExit) as exc:
        reg._fail(info.name, "import", _describe(exc))
        return
    _add_plugin(reg, info, plugin)


def _add_plugin(reg: Registry, info: PluginInfo, plugin: object) -> None:
    try:
        # pluggy checks hookimpl argument names against the hookspecs here.
        reg.manager.register(plugin, name=info.name)
    except (Exception, SystemExit) as exc:
        reg._fail(info.name, "register", _describe(exc))
        return
    callers = reg.manager.get_hookcallers(plugin) or []
    implemented = {caller.name for caller in callers}
    info.hooks = [name for name in hookspecs.HOOK_NAMES if name in implemented]
    for unknown in sorted(implemented - set(hookspecs.HOOK_NAMES)):
        # pluggy accepts hooks without a spec silently; a typo would do nothing.
        reg._fail(info.name, "register", f"implements unknown hook '{unknown}'")
    for kind in KINDS:
        hook_name = f"register_{kind}"
        if kind == "presets":
            register = _preset_register(reg, info)
        else:
            register = _item_register(reg, info, kind)
        _call_hook(reg, info, hook_name, register=register)


def _call_hook(reg: Registry, info: PluginInfo, hook_name: str, **kwargs: Any) -> None:
    """Call one plugin's implementation of a hook, recording any exception."""
    plugin = reg.manager.get_plugin(info.name)
    if plugin is None or hook_name not in info.hooks:
        return
    others = [other for other in reg.manager.get_plugins() if other is not plugin]
    try:
        reg.manager.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)
    except (Exception, SystemExit) as exc:
        # sys.exit() in a hook would otherwise end `apply` silently, with status 0.
        reg._fail(info.name, hook_name, _describe(exc))


def _item_register(reg: Registry, info: PluginInfo, kind: str) -> Callable[..., None]:
    what = _SINGULAR[kind]

    def register(name: str, factory: Callable[..., Any], description: str = "") -> None:
        if not isinstance(name, str) or not name or ":" in name:
            problem = f"{what} name must be a non-empty string without ':', got {name!r}"
        elif not callable(factory):
            problem = f"{what} '{name}': factory must be callable, got {type(factory).__name__}"
        elif not isinstance(description, str):
            problem = f"{what} '{name}': description must be a string"
        else:
            _store(reg, info, kind, Contribution(name, factory, description, info.name))
            return
        reg._fail(info.name, f"register_{kind}", problem)

    return register


def _preset_register(reg: Registry, info: PluginInfo) -> Callable[..., None]:
    def register(path: str | os.PathLike[str]) -> None:
        if not isinstance(path, (str, os.PathLike)):
            message = f"preset path must be a str or os.PathLike, got {path!r}"
            reg._fail(info.name, "register_presets", message)
            return
        bundle = Path(path)
        if not bundle.exists():
            reg._fail(info.name, "register_presets", f"preset bundle {bundle} does not exist")
            return
        # A bundle directory is named by its directory, a packed file by its stem.
        name = bundle.name if bundle.is_dir() else bundle.stem
        _store(reg, info, "presets", Contribution(name, bundle, "", info.name))

    return register


def _store(reg: Registry, info: PluginInfo, kind: str, item: Contribution) -> None:
    table: dict[str, Contribution] = getattr(reg, kind)
    if item.name in table:
        first = table[item.name].plugin
        reg._fail(
            info.name,
            f"register_{kind}",
            f"{_SINGULAR[kind]} '{item.name}' is already registered by plugin '{first}'; "
            "kept that one",
        )
        return
    table[item.name] = item
    info.contributions.setdefault(kind, []).append(item.name)


def _command_owner(reg: Registry, command: str) -> str:
    owners = (i.name for i in reg.plugins if command in i.contributions.get("commands", []))
    return next(owners, "?")


_STDLIB = os.path.dirname(os.__file__)


def _describe(exc: BaseException) -> str:
    """``Type: message (file:line)``: the last line outside the standard library and
    this module, which is in the plugin rather than in the import machinery."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith(("<", _STDLIB)) and frame.filename != __file__
    ]
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"

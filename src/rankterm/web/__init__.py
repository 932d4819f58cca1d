"""``rankterm web``: the annotation TUI served to browsers, one process per signed-in person.

Why a front of our own instead of a bare ``textual-serve``: that runs one fixed command for
every browser, so a second annotator would share the first one's token, journal and leases.
Here a person signs in with their task-server token; the front checks it against the task
server, then starts (or re-attaches to) *their* ``rankterm annotate --server`` process, with
the token in its environment and a journal in a private folder of their own.

Modules, one job each: :mod:`signin` asks the task server who a token belongs to;
:mod:`child` says how a person's process is started (argv, environment, journal paths);
:mod:`person` runs one such process and bridges it to whichever browser is attached;
:mod:`registry` holds the sessions (cookie -> person -> process), the cap and the idle reaper;
:mod:`pages` renders the HTML; :mod:`front` is the aiohttp application tying them together.
"""

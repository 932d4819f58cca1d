"""The model in the loop: call OpenAI-compatible chat endpoints to write candidate responses
(``rankterm generate``) and to pre-judge pairs (``rankterm judge``).

One job per module: :mod:`.endpoint` (HTTP client with bounded concurrency, retries and
timeouts), :mod:`.prompts` (reading prompt files), :mod:`.pairing`, :mod:`.writer` (resumable
append-only output), :mod:`.selfid` (a model naming itself), :mod:`.augment`, :mod:`.judge`
(prompting and parsing a judge's verdict) and :mod:`.progress` (the stderr progress bar).
"""

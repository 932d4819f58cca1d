"""HTTP routers of the task server, one module per area."""

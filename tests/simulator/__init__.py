"""A TrueNAS middleware simulator: a WebSocket JSON-RPC 2.0 server for tests and the demo."""

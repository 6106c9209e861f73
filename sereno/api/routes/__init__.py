"""The API's routers, one module per area (mounted by sereno.api.app.create_app, see its ROUTERS)."""

"""The French web portal (server-rendered pages). Filled by the portal issue."""

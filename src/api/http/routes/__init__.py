"""One router module per resource. Routers parse, call one method, and shape the answer."""

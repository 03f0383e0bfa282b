"""Response models: what clients see. Never an aggregate or an event object."""

"""The memory of articles already written, shared by every spider and run (see base.SeenStore)."""

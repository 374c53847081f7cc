"""Local emulator of the Kaltura avatar backend (Control API + WHEP media)."""

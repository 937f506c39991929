"""Ground station: link, commanding from the dictionary, archive, scripting API and console."""

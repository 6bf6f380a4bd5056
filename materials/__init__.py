"""From uploads to a production's materials: voice prompts, footage segments, footage analysis, action tags."""

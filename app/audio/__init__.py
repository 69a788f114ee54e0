"""Audio files: reading sensor recordings (``smj0`` metadata), incident clips with SHA-256."""
from app.audio.clips import ClipInfo, verify_clips, write_incident_clips
from app.audio.wav_io import AudioFileError, Recording, parse_utc_ns, read_recording, read_smj0

__all__ = ["AudioFileError", "ClipInfo", "Recording", "parse_utc_ns", "read_recording", "read_smj0",
           "verify_clips", "write_incident_clips"]

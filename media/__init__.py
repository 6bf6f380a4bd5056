"""Decoding, encoding and analysing sound and pictures: ffmpeg, the one resample, faces, speech recognition, denoising, speaker embeddings."""

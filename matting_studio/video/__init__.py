"""Video and bursts: frames decoded and encoded on the fly, real motion cues, temporally stable mattes.

``sources`` (video files through PyAV, numbered image sequences) → ``align`` + ``cues`` (the frame's aligned
neighbours) → ``clip`` (segmentation, trimap and matting per frame, smoothed over time) → ``convert`` (a
resumable job: cut-outs cached as PNGs, then composited onto a background and encoded by ``sinks``).
Headless: no Qt. PyAV is imported only when a video file is read or written.
"""

"""Qt adapters: models, the engine/feed worker, the map bridge and playback.  They turn
Qt-free services into signals and roles; widgets in ``app.ui`` sit on top of them."""

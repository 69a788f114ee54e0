"""Qt-free helpers the console needs: read-outs, clocks, CAD drafts, the console's
view of dispatch state.  Nothing here imports Qt; widgets call these, never the reverse."""

"""Events: what the engine keeps of a tracked object's life.

`recorder.EventRecorder` turns the scene's object changes into stored, published events
with snapshots (`snapshot`) and clips (`clips`, `ringbuffer`). `store.EventStore` is the
SQLite event log and the message journal that API clients replay by cursor.
"""

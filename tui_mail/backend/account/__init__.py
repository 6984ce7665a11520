"""One account's worker thread: the job queue, command handlers, folder sync, background body indexing."""

"""The no-op job RQ's workers run in ``bench.peers`` (RQ imports a job by its
path). ``SimpleWorker`` runs jobs in its own process, so the count is the
worker process's own."""

#: How many jobs this process ran.
done = 0


def noop() -> None:
    """Nothing but a count: the drain measures the queue, not the job."""
    global done
    done += 1

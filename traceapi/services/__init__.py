"""Services: the questions traceapi answers (traces, recall impact, records), over a GraphStore."""

// ChromasongServer: the HTTP API of issue 5 (contract §4) over the engine, a durable task store and webhooks.

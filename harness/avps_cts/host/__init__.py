"""Host services a run starts around a boot (console responders, echo servers, shared directories, QMP helpers, back ends), under one lifecycle: services.HostServices."""

// Placeholder: the lead is writing graph.cc (helpers and ValidateGraph).

package wrap

// env is a test environment for LoadConfig and FindGcloud.
type env map[string]string

func (e env) get(k string) string { return e[k] }

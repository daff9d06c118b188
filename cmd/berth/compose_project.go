package main

import (
	"context"
	"os"
)

// projectName is the stack a command that needs no file acts on: -p, else
// COMPOSE_PROJECT_NAME, else the name the Compose file gives.
func (o *composeOptions) stackName(ctx context.Context) (string, error) {
	if o.projectName == "" && os.Getenv("COMPOSE_PROJECT_NAME") == "" {
		p, err := o.load(ctx, nil)
		if err != nil {
			return "", err
		}
		return p.Name, nil
	}
	p, err := o.load(ctx, nil)
	if err == nil {
		return p.Name, nil
	}
	// No file is needed to name a stack explicitly.
	name := o.projectName
	if name == "" {
		name = os.Getenv("COMPOSE_PROJECT_NAME")
	}
	return name, nil
}

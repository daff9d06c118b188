package main

import (
	"context"
	"os"
)

// projectName is the stack a command that needs no file acts on: -p, else
// COMPOSE_PROJECT_NAME, else the name the Compose file gives.
func (o *composeOptions) stackName(ctx context.Context) (string, error) {
	if o.projectName == "" && os.Getenv("COMPOSE_PROJECT_NAME") == "" {
		stack, err := o.load(ctx, nil, nil, nil)
		if err != nil {
			return "", err
		}
		return stack.Name, nil
	}
	stack, err := o.load(ctx, nil, nil, nil)
	if err == nil {
		return stack.Name, nil
	}
	// No file is needed to name a stack explicitly.
	name := o.projectName
	if name == "" {
		name = os.Getenv("COMPOSE_PROJECT_NAME")
	}
	return name, nil
}

"""The CloudFormation macro that expands Heaviside::StateMachine resources."""

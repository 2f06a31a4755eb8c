import heaviside


@heaviside.task
def validate(event, context):
    return {**event, "valid": True}


@heaviside.task
def charge(event, context):
    return {**event, "charged": True}


def start(event, context):
    return event

"""The code that runs inside the Lambdas: envelope codec, task decorator,
invoker, dispatcher and the AWS stores. boto3 is imported lazily."""

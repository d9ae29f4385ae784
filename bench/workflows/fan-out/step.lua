return function(ctx, input)
  return { n = input.n, workflow = ctx.workflow }
end

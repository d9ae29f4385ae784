return function(ctx, input)
  return { n = input.n, done = ctx.step }
end

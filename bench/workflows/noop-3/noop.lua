return function(ctx, input)
  return { n = input.n, step = ctx.step }
end
